/**
 * The command language: one command table (`commands.ts`), its TypeBox schemas, the text
 * codec (ctl files) and the binary record codec (syscall file). Imports only `../lib/mod.ts`;
 * no `node:` modules (the Node file client is `bin/syscall_client.ts`).
 */
export * from "./command_schemas.ts";
export * from "./commands.ts";
export * from "./patch_decode.ts";
export * from "./shell_words.ts";
export * from "./text_decode.ts";
export * from "./token_quote.ts";
export * from "./text_dispatch.ts";
export * from "./record_layout.ts";
export * from "./record_codec.ts";
export * from "./record_dispatch.ts";
export * from "./client.ts";
export * from "./fleet_schema.ts";
export * from "./fleet_load.ts";
export * from "./caller_authority.ts";
export * from "./verbs.ts";
export * from "./json_parse.ts";
export * from "./command_redact.ts";
