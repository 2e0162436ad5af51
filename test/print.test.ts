/** toString matches PyTorch's str(tensor) character for character. */
import { build, loadFixture } from './helpers/fixtures';
import type { TensorJson } from './helpers/fixtures';

interface PrintCase {
  name: string;
  input: TensorJson;
  text: string;
}

const fixture = loadFixture<PrintCase>('print.json');

describe('printing like PyTorch', () => {
  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    expect(build(c.input).toString()).toBe(c.text);
  });
});
