import { MigrationInterface, QueryRunner } from 'typeorm';

/** Since when a Page has been answering rate-limit errors: its pause after each one grows with it. */
export class PacingSlowSince1795700200000 implements MigrationInterface {
  name = 'PacingSlowSince1795700200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "meta_send_pacing" ADD COLUMN "slow_since" timestamptz`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "meta_send_pacing" DROP COLUMN "slow_since"`);
  }
}
