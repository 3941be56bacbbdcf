// logwasm: run Fluent Bit WebAssembly plugins from Node.js.
export * from './records/index.js';
export { Filter, type FilterOptions, type FilterMetrics, type EventFormat, type OnError } from './filter.js';
export { runWasi, runCommand, splitLines, linesToRecords, type RunWasiOptions, type RunCommandOptions, type WasiRecord } from './wasi.js';
export { createParser, parseTime, type LineParser, type ParserDefinition, type ParsedLine } from './parsers.js';
export { loadConfig, ConfigError, parseSize, parseBool, parseList, type LogwasmConfig, type PluginConfig, type ServiceConfig } from './config/index.js';
export { readConfig, propertyValue, DEFAULT_CONFIG_LIMITS, CONFIG_LIMIT_ENV, type ReadConfigOptions, type ConfigLimits, type FluentBitConfig, type ConfigSection, type ConfigProperty, type ConfigLocation, type ConfigWarning } from './config/index.js';
export { Pipeline, tagMatches, type PipelineOptions } from './pipeline.js';
export { formatStdout, printMsgpackStyle, msgpackStyleFromJson, type StdoutOptions, type StdoutFormat, type DateFormat } from './output.js';
export { eventFromJsonLine } from './ndjson.js';
export { LogwasmError } from './errors.js';
export { findAotCompiler, compileCached, isAotArtifact, aotCacheDir, type Tier, type AotTarget, type AotCompileOptions } from './aot.js';
export { loadAddon, addonAvailable, NativeLoadError, type NativeAddon, type NativeJsonEvent } from './native.js';
