import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Contact } from './contact.entity';
import { ContactIdentity } from './contact-identity.entity';
import { ContactsController } from './contacts.controller';
import { ContactsService } from './contacts.service';

/** Contacts across channels, with their identities on each channel account. */
@Module({
  imports: [TypeOrmModule.forFeature([Contact, ContactIdentity])],
  controllers: [ContactsController],
  providers: [ContactsService],
  exports: [TypeOrmModule],
})
export class ContactsModule {}
