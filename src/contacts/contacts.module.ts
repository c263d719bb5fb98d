import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Contact } from './contact.entity';
import { ContactIdentityRegistry } from './contact-identity.registry';
import { ContactsController } from './contacts.controller';
import { ContactsService } from './contacts.service';

/** Contacts across channels; channel modules register where their identities live. */
@Module({
  imports: [TypeOrmModule.forFeature([Contact])],
  controllers: [ContactsController],
  providers: [ContactIdentityRegistry, ContactsService],
  exports: [TypeOrmModule, ContactIdentityRegistry],
})
export class ContactsModule {}
