/**
 * A token as a refusal's reason may quote it. Reasons reach `last_error`, which everyone reads,
 * and a malformed line can glue a JSON spec, secrets included, into one token
 * (`update 7{"env":{…}}`): a token that holds a `{` or is long is described, not quoted.
 */
export function quoteToken(token: string): string {
  if (token.length > 64 || token.includes("{")) return `(a ${token.length}-character token)`;
  return `"${token}"`;
}
