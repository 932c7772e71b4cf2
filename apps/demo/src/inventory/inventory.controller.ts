import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  ParseIntPipe,
  Post,
  Query,
  DefaultValuePipe,
} from '@nestjs/common';
import { demoSettings } from '../demo-settings.js';
import { InventoryService } from './inventory.service.js';

/** The inventory API: stock, reservations (locked per item) and transfers (two locks at once). */
@Controller('inventory')
export class InventoryController {
  constructor(private readonly inventory: InventoryService) {}

  /** Stock of every item, units reserved, and successful reservations (all instances). */
  @Get()
  async show() {
    return {
      instance: demoSettings.instanceId,
      stock: await this.inventory.stock(),
      ...(await this.inventory.reserved()),
    };
  }

  /** Reserve `qty` (query or body, default 1) units of an item. */
  @Post(':itemId/reserve')
  @HttpCode(200)
  reserve(@Param('itemId') itemId: string, @Query('qty', new DefaultValuePipe('1'), ParseIntPipe) qty: number) {
    this.inventory.check(itemId, qty);
    return this.inventory.reserve(itemId, qty);
  }

  /** Move units between two items under both items' locks. */
  @Post('transfer')
  @HttpCode(200)
  transfer(@Body() body: { from: string; to: string; qty?: number }) {
    const [from, to, qty] = [String(body?.from), String(body?.to), Number(body?.qty ?? 1)];
    this.inventory.check(from, qty);
    this.inventory.check(to, qty);
    if (from === to) throw new BadRequestException('from and to must differ');
    return this.inventory.transfer(from, to, qty);
  }

  /** Back to the initial stock (or `stock` from the body). */
  @Post('reset')
  @HttpCode(200)
  reset(@Body() body: { stock?: number }) {
    return this.inventory.reset(body?.stock === undefined ? undefined : Number(body.stock));
  }
}
