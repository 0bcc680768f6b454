/**
 * One runtime: the npm scripts (tests included) run on the Node.js major version the functions are
 * deployed on, brought by `npm ci` (the `node` dev dependency) whatever node the machine has.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import packageJson from '../../package.json';

const yml = readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8');

describe('runtime', () => {
  it('runs the tests on the Node.js major of the deployed functions, pinned as a dev dependency', () => {
    // Prepare
    const deployed = yml.match(/^ {2}runtime: nodejs(\d+)\.x$/m)?.[1];

    // Act
    const running = process.versions.node.split('.')[0];
    const pinned = packageJson.devDependencies.node.match(/^\^?(\d+)\./)?.[1];

    // Assess
    expect(deployed).toBe('22');
    expect(running).toBe(deployed);
    expect(pinned).toBe(deployed);
    expect(packageJson.engines.node).toBe('>=22.5');
  });
});
