import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A Facebook Login `state` is also bound to the browser that started the flow: the hash of the
 * nonce in its HttpOnly cookie (null until a start link binds it). States in flight from before
 * have no binding and can no longer complete, which only means starting the connection again.
 */
export class OAuthBrowserBinding1795420100000 implements MigrationInterface {
  name = 'OAuthBrowserBinding1795420100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "meta_oauth_states" ADD "browser_hash" text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "meta_oauth_states" DROP COLUMN "browser_hash"`);
  }
}
