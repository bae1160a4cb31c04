import { describe, expect, it } from 'vitest';
import {
  inSchemaOrder,
  setAt,
  shapeOf,
  valueAt,
  variantIndex,
  type JsonSchema,
} from './rule-builder-schema.js';

/** A small schema of the rule format's shapes: a union told by a constant, a map, a nullable, a list. */
const schema: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    window: {
      oneOf: [
        { type: 'object', properties: { type: { const: 'lifetime' } }, required: ['type'] },
        {
          type: 'object',
          properties: { type: { const: 'calendar' }, unit: { enum: ['day', 'month'] } },
          required: ['type', 'unit'],
        },
      ],
    },
    title: { type: 'object', additionalProperties: { type: 'string' } },
    geo: { anyOf: [{ $ref: '#/$defs/Geo' }, { type: 'null' }] },
    levels: {
      type: 'array',
      items: { type: 'object', properties: { target: { type: 'integer' }, points: {} } },
    },
    tuple: { type: 'array', prefixItems: [{ type: 'string' }] },
  },
  $defs: { Geo: { type: 'object', properties: { lat: { type: 'number' }, lon: { type: 'number' } } } },
};
const property = (name: string) => (schema.properties as Record<string, JsonSchema>)[name]!;

describe('how the builder reads a JSON Schema', () => {
  it('gives each part the control its shape takes, and none to a shape it cannot draw', () => {
    expect(
      ['id', 'window', 'title', 'geo', 'levels', 'tuple'].map((name) => shapeOf(schema, property(name))),
    ).toEqual(['string', 'union', 'record', 'nullable', 'list', 'unsupported']);
    expect(shapeOf(schema, { type: 'string', format: 'date-time' })).toBe('date-time');
    expect(shapeOf(schema, {})).toBe('json');
    expect(shapeOf(schema, { type: 'array', items: { enum: ['mon', 'tue'] } })).toBe('choices');
  });

  it('tells a variant by its constant', () => {
    expect(variantIndex(schema, property('window'), { type: 'calendar', unit: 'day' })).toBe(1);
    expect(variantIndex(schema, property('window'), {})).toBe(0);
  });

  it('sets, removes and reads a value by JSON pointer; an element removed takes its place from those after', () => {
    const document: Record<string, unknown> = { levels: [{ target: 1 }, { target: 2 }, { target: 3 }] };
    setAt(document, '/title/a~1b', 'x');
    expect(document.title).toEqual({ 'a/b': 'x' });
    expect(valueAt(document, '/title/a~1b')).toBe('x');
    setAt(document, '/levels/0', undefined);
    expect(document.levels).toEqual([{ target: 2 }, { target: 3 }]);
    setAt(document, '/title/a~1b', undefined);
    expect(document.title).toEqual({});
    setAt(document, '/geo/lat', 50.4);
    expect(valueAt(document, '/geo')).toEqual({ lat: 50.4 });
  });

  it('orders each object’s members as its schema names them, those it does not name last', () => {
    const ordered = inSchemaOrder(schema, schema, {
      extra: true,
      levels: [{ points: 5, target: 1 }],
      geo: { lon: 30, lat: 50 },
      window: { unit: 'day', type: 'calendar' },
      id: 'a',
    });
    expect(JSON.stringify(ordered)).toBe(
      '{"id":"a","window":{"type":"calendar","unit":"day"},"geo":{"lat":50,"lon":30},"levels":[{"target":1,"points":5}],"extra":true}',
    );
  });
});
