import { badRequest } from '../../errors.ts';

/**
 * Galaxy's `q`/`qv` dataset filters (as BioBlend's get_datasets sends them) turned into SQL
 * over `hdas h JOIN datasets d`. Every value is a bound parameter; an unknown filter, a bad
 * value or a q/qv length mismatch is a 400 that names the filter.
 */

export const DATASET_STATES = [
  'new', 'upload', 'queued', 'running', 'setting_metadata', 'ok', 'empty', 'error', 'paused',
  'deferred', 'discarded', 'failed_metadata',
];

export interface SqlFragment {
  where: string[];
  params: unknown[];
}

function param(sql: SqlFragment, value: unknown): string {
  sql.params.push(value);
  return `$${sql.params.length}`;
}

function parseBool(filter: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw badRequest(`Invalid value for filter '${filter}': expected true or false, got ${JSON.stringify(value)}`);
}

const TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Galaxy's times are UTC without a zone; a zone, when given, is honoured. */
function parseTime(filter: string, value: string): string {
  const v = value.trim();
  if (!TIME.test(v)) throw badRequest(`Invalid value for filter '${filter}': not a date/time: ${JSON.stringify(value)}`);
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(v) && v.length > 10;
  const date = new Date(hasZone ? v.replace(' ', 'T') : `${v.replace(' ', 'T')}${v.length === 10 ? 'T00:00:00' : ''}Z`);
  if (Number.isNaN(date.getTime())) throw badRequest(`Invalid value for filter '${filter}': ${JSON.stringify(value)}`);
  return date.toISOString();
}

function parseStates(filter: string, values: string[]): string[] {
  for (const s of values) {
    if (!DATASET_STATES.includes(s)) {
      throw badRequest(`Invalid value for filter '${filter}': unknown dataset state ${JSON.stringify(s)}`);
    }
  }
  return values;
}

const listOf = (value: string) => value.split(',').map((v) => v.trim()).filter(Boolean);

const COMPARATORS: Record<string, string> = { ge: '>=', le: '<=', gt: '>', lt: '<' };

type FilterHandler = (sql: SqlFragment, op: string, value: string, filter: string) => string;

/** Each attribute and the operators it accepts (`eq` is the default when none is given). */
const FILTERS: Record<string, { ops: string[]; build: FilterHandler }> = {
  name: {
    ops: ['eq', 'contains', 'like'],
    build: (sql, op, value) =>
      op === 'eq' ? `h.name = ${param(sql, value)}` : `h.name ILIKE ${param(sql, `%${value.replace(/[\\%_]/g, '\\$&')}%`)}`,
  },
  state: {
    ops: ['eq', 'in'],
    build: (sql, op, value, filter) =>
      op === 'eq'
        ? `d.state = ${param(sql, parseStates(filter, [value])[0])}`
        : `d.state = ANY(${param(sql, parseStates(filter, listOf(value)))})`,
  },
  extension: {
    ops: ['eq', 'in'],
    build: (sql, op, value) =>
      op === 'eq' ? `h.extension = ${param(sql, value)}` : `h.extension = ANY(${param(sql, listOf(value))})`,
  },
  visible: { ops: ['eq'], build: (sql, _op, value, f) => `h.visible = ${param(sql, parseBool(f, value))}` },
  deleted: { ops: ['eq'], build: (sql, _op, value, f) => `h.deleted = ${param(sql, parseBool(f, value))}` },
  purged: { ops: ['eq'], build: (sql, _op, value, f) => `(h.purged OR d.purged) = ${param(sql, parseBool(f, value))}` },
  tool_id: {
    ops: ['eq'],
    build: (sql, _op, value) =>
      `EXISTS (SELECT 1 FROM jobs j WHERE j.id = h.creating_job_id AND j.tool_id = ${param(sql, value)})`,
  },
  tag: {
    ops: ['eq', 'contains'],
    build: (sql, op, value) =>
      op === 'eq'
        ? `${param(sql, value)} = ANY(h.tags)`
        : `EXISTS (SELECT 1 FROM unnest(h.tags) t WHERE t ILIKE ${param(sql, `%${value.replace(/[\\%_]/g, '\\$&')}%`)})`,
  },
  create_time: {
    ops: ['ge', 'le', 'gt', 'lt'],
    build: (sql, op, value, f) =>
      `date_trunc('milliseconds', h.create_time) ${COMPARATORS[op]} ${param(sql, parseTime(f, value))}::timestamptz`,
  },
  update_time: {
    ops: ['ge', 'le', 'gt', 'lt'],
    build: (sql, op, value, f) =>
      `date_trunc('milliseconds', h.update_time) ${COMPARATORS[op]} ${param(sql, parseTime(f, value))}::timestamptz`,
  },
};

/** Adds the q/qv filters to `sql`; `q` entries look like `state-in`, `name`, `create_time-ge`. */
export function applyFilters(sql: SqlFragment, q: string[], qv: string[]): void {
  if (q.length !== qv.length) {
    throw badRequest(`Each filter in 'q' needs one value in 'qv' (got ${q.length} filters and ${qv.length} values)`);
  }
  q.forEach((filter, i) => {
    const dash = filter.lastIndexOf('-');
    const [attribute, op] = dash > 0 ? [filter.slice(0, dash), filter.slice(dash + 1)] : [filter, 'eq'];
    const spec = FILTERS[attribute];
    if (!spec) throw badRequest(`Unknown filter '${filter}'; known filters: ${Object.keys(FILTERS).join(', ')}`);
    const effectiveOp = op === 'eq' && !spec.ops.includes('eq') ? '' : op;
    if (!spec.ops.includes(effectiveOp)) {
      throw badRequest(`Unsupported operator in filter '${filter}'; '${attribute}' accepts: ${spec.ops.join(', ')}`);
    }
    sql.where.push(spec.build(sql, effectiveOp, String(qv[i]), filter));
  });
}

const ORDER_COLUMNS: Record<string, string> = {
  create_time: 'h.create_time',
  update_time: 'h.update_time',
  hid: 'h.hid',
  name: 'h.name',
  extension: 'h.extension',
  history_id: 'h.history_id',
  state: 'd.state',
};

/** `create_time-dsc,hid-asc` → an ORDER BY list; descending is the default direction. */
export function orderBy(order: string | undefined): string {
  const parts = (order ?? 'create_time-dsc').split(',').map((p) => p.trim()).filter(Boolean);
  const sql = parts.map((part) => {
    const [column, direction = 'dsc'] = part.split('-');
    const expr = ORDER_COLUMNS[column];
    if (!expr || !['asc', 'dsc'].includes(direction)) {
      throw badRequest(
        `Invalid order '${part}': use one of ${Object.keys(ORDER_COLUMNS).join(', ')} with optional -asc or -dsc`,
      );
    }
    return `${expr} ${direction === 'asc' ? 'ASC' : 'DESC'}`;
  });
  // Rows made in one transaction share a create_time: break ties in creation order.
  sql.push(`h.id ${sql[sql.length - 1].endsWith('ASC') ? 'ASC' : 'DESC'}`);
  return sql.join(', ');
}
