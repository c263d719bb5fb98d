import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CoreConf } from './core-conf.entity';
import { CoreConfService } from './core-conf.service';
import { SystemConfigController } from './system-config.controller';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([CoreConf])],
  controllers: [SystemConfigController],
  providers: [CoreConfService],
  exports: [CoreConfService],
})
export class CoreConfModule {}
