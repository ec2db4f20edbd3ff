/** Bad reference data: always names the table and, where there is one, the line or entry. */
export class DataTableError extends Error {
  override name = 'DataTableError';
  constructor(
    message: string,
    readonly table?: string,
  ) {
    super(message);
  }
}

export class DataTableNotFoundError extends DataTableError {
  override name = 'DataTableNotFoundError';
  constructor(table: string) {
    super(`data table "${table}" does not exist`, table);
  }
}
