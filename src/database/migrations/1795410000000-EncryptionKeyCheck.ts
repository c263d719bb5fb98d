import { MigrationInterface, QueryRunner } from 'typeorm';

/** A value encrypted with the instance's key, so a start with another key is refused at once. */
export class EncryptionKeyCheck1795410000000 implements MigrationInterface {
  name = 'EncryptionKeyCheck1795410000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "core_conf" ADD "encryption_key_check" text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "core_conf" DROP COLUMN "encryption_key_check"`);
  }
}
