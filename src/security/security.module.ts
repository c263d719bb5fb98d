import { Global, Module } from '@nestjs/common';
import { EncryptionKeyCheck } from './encryption-key-check';
import { EncryptionService } from './encryption.service';

@Global()
@Module({ providers: [EncryptionService, EncryptionKeyCheck], exports: [EncryptionService] })
export class SecurityModule {}
