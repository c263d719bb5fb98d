import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class ReactionDto {
  @ApiProperty({ example: 'love', description: 'like, love, smile, wow, sad, angry, dislike, or an emoji (Instagram accepts only love)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(32)
  reaction: string;
}
