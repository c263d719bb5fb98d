import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ContactsModule } from '../../contacts/contacts.module';
import { MessagingModule } from '../../messaging/messaging.module';
import { ContactFacebook } from './entities/contact-facebook.entity';
import { ContactInstagram } from './entities/contact-instagram.entity';
import { OrganizationMetaSettings } from './entities/organization-meta-settings.entity';
import { GraphApiClient } from './services/graph-api.client';
import { MetaContactIdentitiesService } from './services/meta-contact-identities.service';
import { MetaContactsService } from './services/meta-contacts.service';
import { MetaSettingsService } from './services/meta-settings.service';

/** Facebook Messenger and Instagram DM: connection, webhook, inbound pipeline, sends. */
@Module({
  imports: [
    HttpModule.register({ maxRedirects: 0 }),
    TypeOrmModule.forFeature([OrganizationMetaSettings, ContactFacebook, ContactInstagram]),
    ContactsModule,
    MessagingModule,
  ],
  providers: [GraphApiClient, MetaSettingsService, MetaContactsService, MetaContactIdentitiesService],
})
export class MetaModule {}
