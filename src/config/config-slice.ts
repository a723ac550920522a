import type { FactoryProvider } from '@nestjs/common';
import { AppConfig } from './app-config.js';

/** The settings one feature reads, and nothing else. */
export type ConfigSlice<K extends keyof AppConfig> = Readonly<Pick<AppConfig, K>>;

/** A slice's injection token and the provider that cuts it from the validated AppConfig. */
export interface ConfigSliceDefinition<K extends keyof AppConfig> {
  readonly token: symbol;
  readonly keys: readonly K[];
  readonly provider: FactoryProvider<ConfigSlice<K>>;
  /** Cuts the slice from a config (for unit tests and scripts that have no Nest container). */
  from(config: AppConfig): ConfigSlice<K>;
}

/**
 * Declares the slice of the configuration a feature reads. The feature module lists
 * `provider`; its classes inject `@Inject(SLICE.token)`. So each class sees only its settings,
 * and a reader finds what a feature depends on in one line.
 */
export function configSlice<K extends keyof AppConfig>(
  name: string,
  keys: readonly K[],
): ConfigSliceDefinition<K> {
  const token = Symbol(`${name} settings`);
  const from = (config: AppConfig): ConfigSlice<K> => {
    const slice = {} as Pick<AppConfig, K>;
    for (const key of keys) slice[key] = config[key];
    return Object.freeze(slice);
  };
  return { token, keys, from, provider: { provide: token, inject: [AppConfig], useFactory: from } };
}
