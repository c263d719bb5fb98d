import { InitialSchema1795299514112 } from './migrations/1795299514112-InitialSchema';

/** Every migration, in order, as class references. */
export const MIGRATIONS: Function[] = [InitialSchema1795299514112];
