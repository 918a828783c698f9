/**
 * Test-only loader for `@phi-ag/argon2` (the reference C argon2 built to Wasm), kept to show
 * why it is not the password hasher: see docs/DESIGN.md §3 and test/password-wasm.test.ts.
 */
import Argon2, { Argon2Type, Argon2Version } from '@phi-ag/argon2';
import wasm from '@phi-ag/argon2/argon2.wasm';

const argon2 = new Argon2(await WebAssembly.instantiate(wasm));

/** argon2id v1.3 of `password` through the library's public API, as its README shows it. */
export function wasmArgon2id(
  password: string,
  salt: Uint8Array,
  params: { m: number; t: number; p: number },
  dkLen = 32,
): Uint8Array {
  return argon2.hash(password, {
    salt,
    hashLength: dkLen,
    timeCost: params.t,
    memoryCost: params.m,
    parallelism: params.p,
    type: Argon2Type.Argon2id,
    version: Argon2Version.Version13,
  }).hash;
}

/** The library's own check of a PHC string; true when it accepts `password`. */
export function wasmVerify(phc: string, password: string): boolean {
  return argon2.tryVerify(phc, password, Argon2Type.Argon2id).success;
}
