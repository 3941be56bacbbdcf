// Fluent Bit configurations: readConfig (the structure of lib/config/types.ts, every construct of
// both formats) and, until lib/pipeline.ts moves to it, the first loader (legacy/).
export { readConfig, configFormatOf, MAX_INCLUDE_DEPTH, type ReadConfigOptions } from './read.js';
export { ConfigError } from './errors.js';
export { DEFAULT_CONFIG_LIMITS, CONFIG_LIMIT_ENV, type ConfigLimits } from './limits.js';
export { MAX_YAML_DEPTH } from './yaml.js';
export { propertyValue } from './types.js';
export type { ConfigLocation, ConfigProperty, ConfigSection, ConfigWarning, FluentBitConfig } from './types.js';
export { parseSize, parseBool, parseList } from './units.js';
export { loadConfig, type LogwasmConfig, type PluginConfig, type ServiceConfig, type Properties } from './legacy/load.js';
