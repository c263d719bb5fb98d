import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors';
import { AdminAuth } from '../auth/auth.decorators';
import { CoreConfService } from './core-conf.service';
import { SystemConfigDto, UpdateSystemConfigDto } from './system-config.dto';

@ApiTags('admin')
@AdminAuth()
@Controller('api/admin/system-config')
export class SystemConfigController {
  constructor(private readonly coreConf: CoreConfService) {}

  @Get()
  @ApiOkResponse({ type: SystemConfigDto })
  get(): Promise<SystemConfigDto> {
    return this.coreConf.view();
  }

  @Put()
  @ApiOkResponse({ type: SystemConfigDto })
  @ApiErrors([400, 'An unknown field, or a value that is not a non-empty string'])
  put(@Body() body: UpdateSystemConfigDto): Promise<SystemConfigDto> {
    return this.coreConf.update(body);
  }
}
