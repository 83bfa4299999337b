/**
 * Layouts: named little-endian fields over the shared memory. Every trace and report names a
 * field (`avail.idx`, `config.gen`), never a raw offset, so layouts are the vocabulary of a model.
 */

export type Width = 8 | 16 | 32 | 64;

export interface Field {
  readonly id: number;
  readonly name: string;
  readonly offset: number;
  readonly width: Width;
}

export class LayoutError extends Error {}

export class Layout {
  readonly fields: readonly Field[];
  /** Bytes the fields occupy, rounded up to 8 so that 64-bit views stay aligned. */
  readonly size: number;
  private readonly byName: ReadonlyMap<string, Field>;

  constructor(fields: readonly Field[]) {
    this.fields = fields;
    const map = new Map<string, Field>();
    for (const f of fields) {
      if (map.has(f.name)) throw new LayoutError(`field ${f.name} is defined twice`);
      if (f.offset % (f.width / 8) !== 0) throw new LayoutError(`field ${f.name} at offset ${f.offset} is not aligned to its ${f.width}-bit width`);
      map.set(f.name, f);
    }
    this.byName = map;
    const end = fields.reduce((m, f) => Math.max(m, f.offset + f.width / 8), 0);
    this.size = Math.ceil(end / 8) * 8;
  }

  field(name: string): Field {
    const f = this.byName.get(name);
    if (!f) throw new LayoutError(`no field named ${name} in this layout`);
    return f;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The fields `prefix[0]` .. `prefix[n-1]` (or `prefix[i].suffix`), in index order. */
  array(prefix: string, count: number, suffix?: string): Field[] {
    const out: Field[] = [];
    for (let i = 0; i < count; i++) out.push(this.field(suffix ? `${prefix}[${i}].${suffix}` : `${prefix}[${i}]`));
    return out;
  }
}

/** Builds a layout from explicit offsets (spec tables give them) or packed in declaration order. */
export class LayoutBuilder {
  private readonly fields: Field[] = [];
  private cursor = 0;

  /** Moves the cursor to an absolute byte offset, as in a spec's layout table. */
  at(offset: number): this {
    this.cursor = offset;
    return this;
  }

  align(bytes: number): this {
    this.cursor = Math.ceil(this.cursor / bytes) * bytes;
    return this;
  }

  get offset(): number {
    return this.cursor;
  }

  u8(name: string): this { return this.add(name, 8); }
  u16(name: string): this { return this.add(name, 16); }
  u32(name: string): this { return this.add(name, 32); }
  u64(name: string): this { return this.add(name, 64); }

  /** `count` consecutive elements named `name[i]`; a struct element builds its members with `member`. */
  array(name: string, count: number, element: Width | ((member: LayoutBuilder) => void)): this {
    for (let i = 0; i < count; i++) {
      if (typeof element === 'number') {
        this.add(`${name}[${i}]`, element);
      } else {
        const inner = new LayoutBuilder().at(this.cursor);
        element(inner);
        for (const f of inner.fields) this.add(`${name}[${i}].${f.name}`, f.width, f.offset);
        this.cursor = inner.cursor;
      }
    }
    return this;
  }

  build(): Layout {
    return new Layout(this.fields);
  }

  private add(name: string, width: Width, offset = this.cursor): this {
    const aligned = Math.ceil(offset / (width / 8)) * (width / 8);
    this.fields.push({ id: this.fields.length, name, offset: aligned, width });
    this.cursor = aligned + width / 8;
    return this;
  }
}

export function defineLayout(build: (b: LayoutBuilder) => void): Layout {
  const b = new LayoutBuilder();
  build(b);
  return b.build();
}
