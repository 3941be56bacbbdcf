// Errors raised by the TypeScript layer. Errors from the runtime arrive as Error objects with a
// `code` set by the addon: LOGWASM_ERR_MALFORMED, _INVALID, _UNSUPPORTED, _LINK, _TRAP, _TIMEOUT,
// _EXIT, _NOMEM, _ARGUMENT, _IO, _BUSY, _CLOSED.

export class LogwasmError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LogwasmError';
  }
}

/** Turns fs errors into messages that name the option and the path. */
export function fileError(what: string, file: string, error: unknown): LogwasmError {
  const code = (error as NodeJS.ErrnoException)?.code;
  const reason =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'it is a directory'
          : ((error as Error)?.message ?? String(error));
  return new LogwasmError(`cannot read ${what} '${file}': ${reason}`, 'LOGWASM_ERR_IO', { cause: error });
}
