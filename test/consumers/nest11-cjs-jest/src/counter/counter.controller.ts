import { Controller, Get, Post } from '@nestjs/common';
import { CounterService, Increment } from './counter.service';

@Controller('counter')
export class CounterController {
  constructor(private readonly counter: CounterService) {}

  @Post('increment')
  increment(): Promise<Increment> {
    return this.counter.increment();
  }

  @Get()
  read(): { value: number } {
    return { value: this.counter.read() };
  }
}
