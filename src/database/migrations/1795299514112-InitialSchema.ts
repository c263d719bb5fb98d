import { MigrationInterface, QueryRunner } from "typeorm";

/** The data model: organizations and keys, app settings, contacts, conversations, messages, attachments, Meta connection and identities. */

export class InitialSchema1795299514112 implements MigrationInterface {
    name = 'InitialSchema1795299514112'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "contacts" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "display_name" text, "first_name" text, "last_name" text, "username" text, "avatar_url" text, "follower_count" integer, "is_verified_user" boolean, "is_user_follow_business" boolean, "is_business_follow_user" boolean, "profile_fetched_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_b99cd40cfd66a99f1571f4f72e6" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_e713dd6288a61ade794f3b3054" ON "contacts"  ("organization_id", "created_at") `);
        await queryRunner.query(`CREATE TABLE "core_conf" ("id" smallint NOT NULL DEFAULT '1', "meta_messaging_app_id" text, "meta_messaging_app_secret" text, "meta_messaging_verify_token" text, "admin_token_hash" text, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5f2c5261979c7c4d8f53b5e09af" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE TYPE "public"."attachment_status" AS ENUM('stored', 'pending', 'unavailable')`);
        await queryRunner.query(`CREATE TABLE "attachments" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "message_id" uuid, "type" text NOT NULL, "status" "public"."attachment_status" NOT NULL DEFAULT 'stored', "mime_type" text, "size" bigint, "file_name" text, "storage_key" text, "source_url" text, "payload" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5e1f050bcff31e3084a1d662412" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_4af30039d8c32fe7cd7112229e" ON "attachments"  ("organization_id") `);
        await queryRunner.query(`CREATE INDEX "IDX_623e10eec51ada466c5038979e" ON "attachments"  ("message_id") `);
        await queryRunner.query(`CREATE TYPE "public"."message_channel" AS ENUM('facebook_messenger', 'instagram_dm')`);
        await queryRunner.query(`CREATE TABLE "conversations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "contact_id" uuid NOT NULL, "channel" "public"."message_channel" NOT NULL, "last_inbound_at" TIMESTAMP WITH TIME ZONE, "last_message_at" TIMESTAMP WITH TIME ZONE NOT NULL, "unread_count" integer NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_conversations_org_contact_channel" UNIQUE ("organization_id", "contact_id", "channel"), CONSTRAINT "PK_ee34f4f7ced4ec8681f26bf04ef" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_conversations_org_channel_activity" ON "conversations"  ("organization_id", "channel", "last_message_at", "id") `);
        await queryRunner.query(`CREATE INDEX "ix_conversations_org_activity" ON "conversations"  ("organization_id", "last_message_at", "id") `);
        await queryRunner.query(`CREATE TYPE "public"."message_direction" AS ENUM('inbound', 'outbound')`);
        await queryRunner.query(`CREATE TYPE "public"."message_sender" AS ENUM('contact', 'agent', 'page')`);
        await queryRunner.query(`CREATE TYPE "public"."message_kind" AS ENUM('message', 'postback', 'referral')`);
        await queryRunner.query(`CREATE TYPE "public"."message_status" AS ENUM('received', 'pending', 'published', 'delivered', 'read', 'failed_waiting_for_retry', 'failed')`);
        await queryRunner.query(`CREATE TABLE "messages" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "conversation_id" uuid NOT NULL, "channel" "public"."message_channel" NOT NULL, "direction" "public"."message_direction" NOT NULL, "sender" "public"."message_sender" NOT NULL, "kind" "public"."message_kind" NOT NULL DEFAULT 'message', "status" "public"."message_status" NOT NULL, "text" text, "external_id" text, "reply_to_external_id" text, "reactions" jsonb NOT NULL DEFAULT '[]'::jsonb, "metadata" jsonb, "sent_at" TIMESTAMP WITH TIME ZONE NOT NULL, "delivered_at" TIMESTAMP WITH TIME ZONE, "read_at" TIMESTAMP WITH TIME ZONE, "edited_at" TIMESTAMP WITH TIME ZONE, "edit_count" integer NOT NULL DEFAULT '0', "deleted_at" TIMESTAMP WITH TIME ZONE, "messaging_type" text, "tag" text, "error_details" jsonb, "error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_messages_channel_external_id" UNIQUE ("channel", "external_id"), CONSTRAINT "PK_18325f38ae6de43878487eff986" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_messages_org_time" ON "messages"  ("organization_id", "sent_at") `);
        await queryRunner.query(`CREATE INDEX "ix_messages_conversation_time" ON "messages"  ("conversation_id", "sent_at", "id") `);
        await queryRunner.query(`CREATE TABLE "contact_facebook" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "contact_id" uuid NOT NULL, "page_id" text NOT NULL, "psid" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_contact_facebook_page_psid" UNIQUE ("page_id", "psid"), CONSTRAINT "PK_404be12c987a93a81308ceee384" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_b46ed258a89ef025897752d08c" ON "contact_facebook"  ("contact_id") `);
        await queryRunner.query(`CREATE TABLE "contact_instagram" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "contact_id" uuid NOT NULL, "ig_account_id" text NOT NULL, "igsid" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_contact_instagram_account_igsid" UNIQUE ("ig_account_id", "igsid"), CONSTRAINT "PK_f26b9b18feab51e9576d558501c" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_44b9b3fe2ebbc1257727056754" ON "contact_instagram"  ("contact_id") `);
        await queryRunner.query(`CREATE TABLE "organizations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6b031fcd0863e3f6b44230163f9" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE TYPE "public"."meta_connection_status" AS ENUM('active', 'expired')`);
        await queryRunner.query(`CREATE TABLE "organization_meta_settings" ("organization_id" uuid NOT NULL, "page_id" text NOT NULL, "page_name" text, "page_access_token" text NOT NULL, "instagram_account_id" text, "instagram_username" text, "status" "public"."meta_connection_status" NOT NULL DEFAULT 'active', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d5fc022ed61888ddbcd50675df5" PRIMARY KEY ("organization_id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "uq_meta_settings_page_id" ON "organization_meta_settings"  ("page_id") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "uq_meta_settings_ig_account_id" ON "organization_meta_settings"  ("instagram_account_id") WHERE instagram_account_id IS NOT NULL`);
        await queryRunner.query(`CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "key_hash" text NOT NULL, "prefix" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_a283bdef18876e525aefaec042" ON "api_keys"  ("organization_id") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_57384430aa1959f4578046c9b8" ON "api_keys"  ("key_hash") `);
        await queryRunner.query(`ALTER TABLE "attachments" ADD CONSTRAINT "FK_623e10eec51ada466c5038979e3" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "conversations" ADD CONSTRAINT "FK_3e605129623b629ddd0583740db" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "messages" ADD CONSTRAINT "FK_3bc55a7c3f9ed54b520bb5cfe23" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "contact_facebook" ADD CONSTRAINT "FK_b46ed258a89ef025897752d08c4" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "contact_instagram" ADD CONSTRAINT "FK_44b9b3fe2ebbc1257727056754f" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "organization_meta_settings" ADD CONSTRAINT "FK_d5fc022ed61888ddbcd50675df5" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "api_keys" ADD CONSTRAINT "FK_a283bdef18876e525aefaec042f" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "contacts" ADD CONSTRAINT "fk_contacts_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE`);
        await queryRunner.query(`ALTER TABLE "conversations" ADD CONSTRAINT "fk_conversations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE`);
        await queryRunner.query(`ALTER TABLE "messages" ADD CONSTRAINT "fk_messages_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE`);
        await queryRunner.query(`ALTER TABLE "attachments" ADD CONSTRAINT "fk_attachments_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE`);
        await queryRunner.query(`ALTER TABLE "contact_facebook" ADD CONSTRAINT "fk_contact_facebook_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE`);
        await queryRunner.query(`ALTER TABLE "contact_instagram" ADD CONSTRAINT "fk_contact_instagram_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE`);
        // The socket.io Postgres adapter's table (it relays events between instances).
        await queryRunner.query(`CREATE TABLE "socket_io_attachments" ("id" bigserial UNIQUE, "created_at" timestamptz DEFAULT now(), "payload" bytea)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "socket_io_attachments"`);
        await queryRunner.query(`ALTER TABLE "contacts" DROP CONSTRAINT "fk_contacts_organization"`);
        await queryRunner.query(`ALTER TABLE "conversations" DROP CONSTRAINT "fk_conversations_organization"`);
        await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "fk_messages_organization"`);
        await queryRunner.query(`ALTER TABLE "attachments" DROP CONSTRAINT "fk_attachments_organization"`);
        await queryRunner.query(`ALTER TABLE "contact_facebook" DROP CONSTRAINT "fk_contact_facebook_organization"`);
        await queryRunner.query(`ALTER TABLE "contact_instagram" DROP CONSTRAINT "fk_contact_instagram_organization"`);
        await queryRunner.query(`ALTER TABLE "api_keys" DROP CONSTRAINT "FK_a283bdef18876e525aefaec042f"`);
        await queryRunner.query(`ALTER TABLE "organization_meta_settings" DROP CONSTRAINT "FK_d5fc022ed61888ddbcd50675df5"`);
        await queryRunner.query(`ALTER TABLE "contact_instagram" DROP CONSTRAINT "FK_44b9b3fe2ebbc1257727056754f"`);
        await queryRunner.query(`ALTER TABLE "contact_facebook" DROP CONSTRAINT "FK_b46ed258a89ef025897752d08c4"`);
        await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "FK_3bc55a7c3f9ed54b520bb5cfe23"`);
        await queryRunner.query(`ALTER TABLE "conversations" DROP CONSTRAINT "FK_3e605129623b629ddd0583740db"`);
        await queryRunner.query(`ALTER TABLE "attachments" DROP CONSTRAINT "FK_623e10eec51ada466c5038979e3"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_57384430aa1959f4578046c9b8"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_a283bdef18876e525aefaec042"`);
        await queryRunner.query(`DROP TABLE "api_keys"`);
        await queryRunner.query(`DROP INDEX "public"."uq_meta_settings_ig_account_id"`);
        await queryRunner.query(`DROP INDEX "public"."uq_meta_settings_page_id"`);
        await queryRunner.query(`DROP TABLE "organization_meta_settings"`);
        await queryRunner.query(`DROP TYPE "public"."meta_connection_status"`);
        await queryRunner.query(`DROP TABLE "organizations"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_44b9b3fe2ebbc1257727056754"`);
        await queryRunner.query(`DROP TABLE "contact_instagram"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_b46ed258a89ef025897752d08c"`);
        await queryRunner.query(`DROP TABLE "contact_facebook"`);
        await queryRunner.query(`DROP INDEX "public"."ix_messages_conversation_time"`);
        await queryRunner.query(`DROP INDEX "public"."ix_messages_org_time"`);
        await queryRunner.query(`DROP TABLE "messages"`);
        await queryRunner.query(`DROP TYPE "public"."message_status"`);
        await queryRunner.query(`DROP TYPE "public"."message_kind"`);
        await queryRunner.query(`DROP TYPE "public"."message_sender"`);
        await queryRunner.query(`DROP TYPE "public"."message_direction"`);
        await queryRunner.query(`DROP INDEX "public"."ix_conversations_org_activity"`);
        await queryRunner.query(`DROP INDEX "public"."ix_conversations_org_channel_activity"`);
        await queryRunner.query(`DROP TABLE "conversations"`);
        await queryRunner.query(`DROP TYPE "public"."message_channel"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_623e10eec51ada466c5038979e"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_4af30039d8c32fe7cd7112229e"`);
        await queryRunner.query(`DROP TABLE "attachments"`);
        await queryRunner.query(`DROP TYPE "public"."attachment_status"`);
        await queryRunner.query(`DROP TABLE "core_conf"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_e713dd6288a61ade794f3b3054"`);
        await queryRunner.query(`DROP TABLE "contacts"`);
    }

}
