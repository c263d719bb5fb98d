import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../messaging/api/page-query.dto';
import { ContactView } from './contact.view';

export class SearchContactsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Part of a name (display, first, last, or both) or username, any case; omit for every contact' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  query?: string;
}

export class ContactPageView {
  @ApiProperty({ type: [ContactView] }) data: ContactView[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor: string | null;
}
