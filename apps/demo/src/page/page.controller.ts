import { Controller, Get, Header } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PAGE = fileURLToPath(new URL('../../public/index.html', import.meta.url));

/** `GET /`: the live lock page (plain HTML and JavaScript, no build step). */
@Controller()
export class PageController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  page(): string {
    return readFileSync(PAGE, 'utf8');
  }
}
