// Fluent Bit's EventTime: whole seconds and nanoseconds, kept apart so that no precision is lost
// (a float64 of seconds since 1970 only holds about a quarter of a microsecond).

const NANOS_PER_SECOND = 1_000_000_000;

// wall-clock nanoseconds minus monotonic nanoseconds, taken at start-up
const wallClockBase = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export class EventTime {
  readonly seconds: number;
  readonly nanoseconds: number;

  constructor(seconds: number, nanoseconds = 0) {
    if (!Number.isInteger(seconds) || !Number.isInteger(nanoseconds)) {
      throw new RangeError(`EventTime needs integer seconds and nanoseconds, got ${seconds} and ${nanoseconds}`);
    }
    if (nanoseconds < 0 || nanoseconds >= NANOS_PER_SECOND) {
      throw new RangeError(`EventTime nanoseconds must be 0..999999999, got ${nanoseconds}`);
    }
    this.seconds = seconds;
    this.nanoseconds = nanoseconds;
  }

  /** The current wall-clock time in nanoseconds: the wall clock read once, advanced by the
   *  monotonic clock, so stamps taken in a row never go backwards. */
  static now(): EventTime {
    const ns = wallClockBase + process.hrtime.bigint();
    return new EventTime(Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n));
  }

  /** From seconds as a number (a fraction is allowed); rounded to the nearest nanosecond. */
  static fromSeconds(seconds: number | bigint): EventTime {
    if (typeof seconds === 'bigint') return new EventTime(Number(seconds), 0);
    if (!Number.isFinite(seconds)) throw new RangeError(`time must be a finite number of seconds, got ${seconds}`);
    let whole = Math.floor(seconds);
    let nanos = Math.round((seconds - whole) * NANOS_PER_SECOND);
    if (nanos >= NANOS_PER_SECOND) {
      whole += 1;
      nanos -= NANOS_PER_SECOND;
    }
    return new EventTime(whole, nanos);
  }

  /** From a decimal text such as "1700000000.123456789" without going through a float. */
  static parse(text: string): EventTime {
    const match = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text.trim());
    if (!match) return EventTime.fromSeconds(Number(text));
    const fraction = (match[3] ?? '').slice(0, 9).padEnd(9, '0');
    let seconds = Number(match[2]);
    let nanos = Number(fraction);
    if (match[1] === '-') {
      // -1.25 s is -2 s + 0.75 s
      if (nanos > 0) {
        seconds = -seconds - 1;
        nanos = NANOS_PER_SECOND - nanos;
      } else seconds = -seconds;
    }
    return new EventTime(seconds, nanos);
  }

  static fromDate(date: Date): EventTime {
    const ms = date.getTime();
    return new EventTime(Math.floor(ms / 1000), (((ms % 1000) + 1000) % 1000) * 1_000_000);
  }

  toSeconds(): number {
    return this.seconds + this.nanoseconds / NANOS_PER_SECOND;
  }

  toDate(): Date {
    return new Date(this.seconds * 1000 + Math.floor(this.nanoseconds / 1_000_000));
  }

  /** Seconds with exactly nine decimals: "1700000000.000000001". */
  toString(): string {
    if (this.seconds < 0 && this.nanoseconds > 0) {
      const seconds = -(this.seconds + 1);
      return `-${seconds}.${String(NANOS_PER_SECOND - this.nanoseconds).padStart(9, '0')}`;
    }
    return `${this.seconds}.${String(this.nanoseconds).padStart(9, '0')}`;
  }

  toJSON(): number {
    return this.toSeconds();
  }

  equals(other: EventTime): boolean {
    return this.seconds === other.seconds && this.nanoseconds === other.nanoseconds;
  }
}
