import { DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { surviveConnectionLoss } from './database/pool-errors';
import { AuthModule } from './auth/auth.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { CoreConfModule } from './core-conf/core-conf.module';
import { dataSourceOptions } from './database/data-source-options';
import { runMigrationsLocked } from './database/run-migrations';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { InboxModule } from './inbox/inbox.module';
import { JobsModule } from './jobs/jobs.module';
import { ContactsModule } from './contacts/contacts.module';
import { MessagingModule } from './messaging/messaging.module';
import { MetricsModule } from './metrics/metrics.module';
import { MetaModule } from './mods/meta/meta.module';
import { RealtimeModule } from './realtime/realtime.module';
import { SecurityModule } from './security/security.module';
import { StorageModule } from './storage/storage.module';
import { WebhooksModule } from './webhooks/webhooks.module';

const databaseLogger = new Logger('Database');

/** Where the database is, without its credentials. */
function describeDatabase(config: AppConfig): { database: 'embedded' | 'external'; server: string; name: string } {
  const url = new URL(config.databaseUrl!);
  return { database: config.embeddedDatabase ? 'embedded' : 'external', server: url.host, name: decodeURIComponent(url.pathname.slice(1)) };
}

@Module({})
export class AppModule {
  /** The whole service for one configuration (`databaseUrl` must be set by then). */
  static forRoot(config: AppConfig): DynamicModule {
    if (!config.databaseUrl) throw new Error('AppModule needs a database URL');
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        MetricsModule,
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSourceOptions(config.databaseUrl!),
          // Migrations run before any other module starts, under an advisory lock.
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize();
            surviveConnectionLoss((dataSource.driver as PostgresDriver).master as Pool, (message) => databaseLogger.warn(message));
            await runMigrationsLocked(dataSource);
            databaseLogger.log({ msg: 'database ready, migrations applied', ...describeDatabase(config) });
            return dataSource;
          },
        }),
        SecurityModule,
        JobsModule,
        AuthModule,
        CoreConfModule,
        HealthModule,
        StorageModule,
        RealtimeModule,
        EventsModule,
        ContactsModule,
        MessagingModule,
        MetaModule,
        WebhooksModule,
        InboxModule,
      ],
    };
  }
}
