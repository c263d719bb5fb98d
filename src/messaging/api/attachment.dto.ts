import { ApiProperty } from '@nestjs/swagger';

export class UploadedAttachmentView {
  @ApiProperty({ format: 'uuid', description: 'Give it in attachmentIds of POST /api/messaging/send' }) id: string;
  @ApiProperty({ example: 'image/png' }) mimeType: string;
  @ApiProperty({ description: 'Bytes' }) size: number;
  @ApiProperty({ description: 'Signed link to the stored file' }) url: string;
}
