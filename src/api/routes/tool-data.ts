/**
 * Galaxy's `/api/tool_data` as BioBlend's ToolData client uses it: list, show, reload and delete
 * a row. Admin only. Every request reads the database, so a change made through any replica is
 * what the next request on every replica answers.
 */
import { Type, type Static } from '@sinclair/typebox';
import { withTransaction } from '../../db/pool.ts';
import { listTables, removeRow, tableWithRows } from '../../datatables/index.ts';
import { badRequest, notFound } from '../errors.ts';
import type { RoutePlugin } from '../server.ts';

const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) });
type NameParams = Static<typeof NameParams>;
const DeleteBody = Type.Object({ values: Type.String({ minLength: 1, maxLength: 100_000 }) });
type DeleteBody = Static<typeof DeleteBody>;

export const toolDataRoutes: RoutePlugin = (app, { pool }) => {
  const admin = { config: { auth: 'admin' as const } };

  const show = async (name: string) => {
    const found = await tableWithRows(pool, name);
    if (!found) throw notFound(`Data table named ${name} not found`);
    return {
      model_class: 'TabularToolDataTable',
      name: found.table.name,
      columns: found.table.columns,
      fields: found.rows,
      version: found.table.version,
    };
  };

  app.get('/api/tool_data', { ...admin, schema: { tags: ['tool_data'], summary: 'List data tables' } }, async () =>
    (await listTables(pool)).map((t) => ({ model_class: 'TabularToolDataTable', name: t.name })),
  );

  app.get('/api/tool_data/:name', { ...admin, schema: { tags: ['tool_data'], summary: 'Show a data table', params: NameParams } }, async (request) =>
    show((request.params as NameParams).name),
  );

  // Nothing to re-read from disk: the rows are in the database. Answers the table, as Galaxy does.
  app.get('/api/tool_data/:name/reload', { ...admin, schema: { tags: ['tool_data'], summary: 'Reload a data table', params: NameParams } }, async (request) =>
    show((request.params as NameParams).name),
  );

  app.delete(
    '/api/tool_data/:name',
    { ...admin, schema: { tags: ['tool_data'], summary: 'Remove a row (tab-separated values) from a data table', params: NameParams, body: DeleteBody } },
    async (request) => {
      const { name } = request.params as NameParams;
      const fields = (request.body as DeleteBody).values.split('\t');
      const outcome = await withTransaction(pool, async (client) => {
        const found = await tableWithRows(client, name);
        if (!found) throw notFound(`Data table named ${name} not found`);
        if (fields.length !== found.table.columns.length) {
          throw badRequest(`table ${name}: values have ${fields.length} tab-separated fields, the table has ${found.table.columns.length} (${found.table.columns.join(', ')})`);
        }
        return removeRow(client, name, fields, 'api');
      });
      if (outcome.removed === 0) throw badRequest(`table ${name}: no row with values ${JSON.stringify(fields.join('\t'))}`);
      return show(name);
    },
  );
};
