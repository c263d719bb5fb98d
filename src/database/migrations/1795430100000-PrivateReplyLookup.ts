import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A comment's private replies are read by (channel, comment id) including failed ones, which the
 * unique index (it leaves failed ones out) cannot serve: without this, every comment page would
 * scan the messages table.
 */
export class PrivateReplyLookup1795430100000 implements MigrationInterface {
  name = 'PrivateReplyLookup1795430100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "ix_messages_private_reply_lookup" ON "messages" ("channel", "private_reply_to_comment") WHERE "private_reply_to_comment" IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_messages_private_reply_lookup"`);
  }
}
