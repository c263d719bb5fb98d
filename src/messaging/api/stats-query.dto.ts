import { ApiProperty } from '@nestjs/swagger';
import { IsISO8601, Matches } from 'class-validator';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `?from=YYYY-MM-DD&to=YYYY-MM-DD`: UTC days, both inclusive. */
export class StatsQueryDto {
  @ApiProperty({ example: '2025-01-01', description: 'First UTC day, inclusive' })
  @Matches(DAY, { message: 'from must be a day as YYYY-MM-DD' })
  @IsISO8601({ strict: true }, { message: 'from must be a real calendar day' })
  from: string;

  @ApiProperty({ example: '2025-01-31', description: 'Last UTC day, inclusive (at most 366 days after from, counting both ends)' })
  @Matches(DAY, { message: 'to must be a day as YYYY-MM-DD' })
  @IsISO8601({ strict: true }, { message: 'to must be a real calendar day' })
  to: string;
}
