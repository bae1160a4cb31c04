import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.js';

function breaker() {
  let now = 0;
  const circuit = new CircuitBreaker({ failureThreshold: 3, openMs: 1_000 }, () => now);
  return { circuit, advance: (ms: number) => (now += ms) };
}

describe('CircuitBreaker', () => {
  it('lets calls through while failures stay under the threshold, and a success resets the count', () => {
    const { circuit } = breaker();
    circuit.failed();
    circuit.failed();
    circuit.succeeded();
    circuit.failed();
    circuit.failed();
    expect(circuit.blockedForMs()).toBeUndefined();
  });

  it('opens after the threshold and says how long calls must wait', () => {
    const { circuit, advance } = breaker();
    for (let i = 0; i < 3; i++) circuit.failed();
    expect(circuit.blockedForMs()).toBe(1_000);
    advance(400);
    expect(circuit.blockedForMs()).toBe(600);
  });

  it('after the open time lets exactly one trial through; its success closes the circuit', () => {
    const { circuit, advance } = breaker();
    for (let i = 0; i < 3; i++) circuit.failed();
    advance(1_000);
    expect(circuit.blockedForMs()).toBeUndefined();
    expect(circuit.blockedForMs()).toBe(1_000);
    circuit.succeeded();
    expect(circuit.blockedForMs()).toBeUndefined();
    expect(circuit.blockedForMs()).toBeUndefined();
  });

  it('reopens when the trial fails', () => {
    const { circuit, advance } = breaker();
    for (let i = 0; i < 3; i++) circuit.failed();
    advance(1_000);
    expect(circuit.blockedForMs()).toBeUndefined();
    circuit.failed();
    expect(circuit.blockedForMs()).toBe(1_000);
  });
});
