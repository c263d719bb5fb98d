import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBase64, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/** `POST /api/attachments` as JSON, for clients that cannot send multipart. */
export class Base64AttachmentDto {
  @ApiPropertyOptional({ maxLength: 255, example: 'receipt.pdf' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  filename?: string;

  @ApiProperty({ example: 'application/pdf' })
  @IsString()
  @IsNotEmpty()
  mimeType: string;

  @ApiProperty({ description: 'The file, base64-encoded (standard alphabet, padded)' })
  @IsString()
  @IsNotEmpty()
  @IsBase64(undefined, { message: 'data must be the file encoded as base64' })
  data: string;
}

export class UploadedAttachmentView {
  @ApiProperty({ format: 'uuid', description: 'Give it in attachmentIds of POST /api/messaging/send' }) id: string;
  @ApiProperty({ example: 'image/png' }) mimeType: string;
  @ApiProperty({ description: 'Bytes' }) size: number;
  @ApiProperty({ description: 'Signed link to the stored file' }) url: string;
}
