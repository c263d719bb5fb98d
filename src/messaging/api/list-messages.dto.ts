import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from './page-query.dto';

export type MessageOrder = 'asc' | 'desc';

export class ListMessagesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    enum: ['asc', 'desc'],
    default: 'asc',
    description: 'asc: oldest first; desc: from the newest message backwards (what an inbox opens on)',
  })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: MessageOrder;
}
