import { MigrationInterface, QueryRunner } from 'typeorm';

/** When each API key was last used, for the admin's list of an organization's keys. */
export class ApiKeyLastUsed1795410000100 implements MigrationInterface {
  name = 'ApiKeyLastUsed1795410000100';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "api_keys" ADD "last_used_at" timestamptz`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "api_keys" DROP COLUMN "last_used_at"`);
  }
}
