import { MigrationInterface, QueryRunner } from 'typeorm';

/** socket.io's Postgres adapter kept its large broadcasts here; socket events now go through the event relay's own NOTIFY. */
export class DropSocketIoAttachments1795600100000 implements MigrationInterface {
  name = 'DropSocketIoAttachments1795600100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS "socket_io_attachments"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "socket_io_attachments" ("id" bigserial UNIQUE, "created_at" timestamptz DEFAULT now(), "payload" bytea)`);
  }
}
