import { describe, expect, it } from 'vitest';
import { given, purchase, refund } from '../test/support/events.js';

const abroad = (country: string, time: string) => purchase({ time, geo: { lat: 0, lon: 0, country } });

describe('globetrotter: purchases in 3 different countries within any 365 days', () => {
  it('given UA and PL, when a purchase in DE arrives, then it unlocks', () => {
    const history = [abroad('UA', '2026-01-10T12:00:00+02:00'), abroad('PL', '2026-06-10T12:00:00+03:00')];
    expect(given(history).when(abroad('DE', '2026-12-01T12:00:00+02:00'))).toContain('globetrotter');
  });

  it('given UA and PL, when a second purchase in PL arrives, then it stays locked', () => {
    const history = [abroad('UA', '2026-01-10T12:00:00+02:00'), abroad('PL', '2026-06-10T12:00:00+03:00')];
    expect(given(history).when(abroad('PL', '2026-07-10T12:00:00+03:00'))).not.toContain('globetrotter');
  });

  it('given UA more than 365 days before DE, then UA, PL, DE do not make three', () => {
    const history = [abroad('UA', '2025-01-10T12:00:00+02:00'), abroad('PL', '2025-12-10T12:00:00+02:00')];
    expect(given(history).when(abroad('DE', '2026-01-11T12:00:00+02:00'))).not.toContain('globetrotter');
  });

  it('given a second UA purchase inside the window, then the newer one keeps UA in reach', () => {
    const history = [
      abroad('UA', '2025-01-10T12:00:00+02:00'),
      abroad('UA', '2025-11-01T12:00:00+02:00'),
      abroad('PL', '2025-12-10T12:00:00+02:00'),
    ];
    expect(given(history).when(abroad('DE', '2026-01-11T12:00:00+02:00'))).toContain('globetrotter');
  });

  it('given PL and DE, when a UA purchase dated 5 days before DE arrives late, then it unlocks', () => {
    const history = [abroad('PL', '2026-06-10T12:00:00+03:00'), abroad('DE', '2026-07-01T12:00:00+03:00')];
    expect(given(history).when(abroad('UA', '2026-06-26T12:00:00+03:00'))).toContain('globetrotter');
  });

  it('given PL and DE, when a UA purchase dated 5 months earlier arrives, then it is too late to count', () => {
    const history = [abroad('PL', '2026-06-10T12:00:00+03:00'), abroad('DE', '2026-07-01T12:00:00+03:00')];
    expect(given(history).when(abroad('UA', '2026-02-01T12:00:00+02:00'))).not.toContain('globetrotter');
  });

  it('ignores purchases without a country', () => {
    const history = [abroad('UA', '2026-01-10T12:00:00+02:00'), abroad('PL', '2026-06-10T12:00:00+03:00')];
    expect(given(history).when(purchase({ time: '2026-07-01T12:00:00+03:00', geo: null }))).not.toContain(
      'globetrotter',
    );
  });

  it('given UA, PL and a refunded DE, when FR arrives, then it unlocks only through FR', () => {
    const de = abroad('DE', '2026-03-01T12:00:00+02:00');
    const history = [abroad('UA', '2026-01-10T12:00:00+02:00'), de, refund(de, '2026-03-02T12:00:00+02:00')];
    expect(given(history).unlocked.map((u) => u.achievementId)).not.toContain('globetrotter');
    expect(given(history).when(abroad('UA', '2026-04-01T12:00:00+03:00'))).not.toContain('globetrotter');
    expect(given(history).when(abroad('FR', '2026-04-01T12:00:00+03:00'))).toEqual([]);
    expect(
      given([...history, abroad('PL', '2026-05-01T12:00:00+03:00')]).when(
        abroad('FR', '2026-06-01T12:00:00+03:00'),
      ),
    ).toContain('globetrotter');
  });

  it('given PL, UA and a newer UA, when US dated between them arrives last, then the 365 days from PL hold three', () => {
    const history = [
      abroad('PL', '2025-06-01T12:00:00+03:00'),
      abroad('UA', '2025-06-05T12:00:00+03:00'),
      abroad('UA', '2026-06-03T12:00:00+03:00'),
    ];
    expect(given(history).when(abroad('US', '2026-05-30T12:00:00+03:00'))).toContain('globetrotter');
  });

  it('keeps a country while an unrefunded purchase of it remains', () => {
    const pl = [abroad('PL', '2026-03-01T12:00:00+02:00'), abroad('PL', '2026-03-02T12:00:00+02:00')];
    const history = [
      abroad('UA', '2026-03-01T12:00:00+02:00'),
      ...pl,
      refund(pl[0]!, '2026-03-03T12:00:00+02:00'),
    ];
    expect(given(history).when(abroad('DE', '2026-03-04T12:00:00+02:00'))).toContain('globetrotter');
  });

  it('does not count a window more than 365 days long: both ends are included, no more', () => {
    const history = [abroad('PL', '2025-03-01T12:00:00+02:00'), abroad('UA', '2025-09-01T12:00:00+03:00')];
    expect(given(history).when(abroad('DE', '2026-03-01T12:00:00+02:00'))).toContain('globetrotter');
    expect(given(history).when(abroad('DE', '2026-03-01T12:00:01+02:00'))).not.toContain('globetrotter');
  });
});
