import { MigrationInterface, QueryRunner } from 'typeorm';

/** The person (from a scoped token) who sent an outbound message from the inbox. */
export class MessageAgent1795470000000 implements MigrationInterface {
  name = 'MessageAgent1795470000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" ADD "agent" jsonb`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "agent"`);
  }
}
