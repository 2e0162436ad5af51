/** toString matches PyTorch's str(tensor) character for character, float64 and the default dtype included. */
import * as torch from '../lib';
import { build, loadFixture } from './helpers/fixtures';
import type { TensorJson } from './helpers/fixtures';

interface PrintCase {
  name: string;
  input: TensorJson;
  text: string;
  /** The default dtype PyTorch printed under (torch.set_default_dtype). */
  default?: 'float64';
}

const fixture = loadFixture<PrintCase>('print.json');

describe('printing like PyTorch', () => {
  afterEach(() => torch.setDefaultDtype('float32'));

  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const t = build(c.input);
    if (c.default) torch.setDefaultDtype(c.default);
    expect(t.toString()).toBe(c.text);
  });
});
