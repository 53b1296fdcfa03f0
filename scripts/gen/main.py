"""npm run gen: regenerate test/activations.mpmath.json and fit the m_poly_* polynomials of
shaders/lib/math.wgsl.

  (no flag)       write the JSON; fit every polynomial and report it against the line in math.wgsl
  --write-polys   also rewrite the m_poly_* lines whose regenerated fit is no worse than the
                  existing one (only lines starting with `fn m_poly_<name>(` are touched)
  --check         write nothing: say whether the JSON would change (exit 1 if it would) and
                  report the fits
  --poly NAME     fit only these polynomials (repeatable)
  --no-polys      the JSON only
  --list          print each polynomial's spec and exit
"""
import argparse
import os
import sys
import time

import numpy as np

import polys
import reference

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
JSON_PATH = os.path.join(ROOT, 'test', 'activations.mpmath.json')
WGSL_PATH = os.path.join(ROOT, 'shaders', 'lib', 'math.wgsl')
FIT_NODES = (400, 401)     # Chebyshev nodes and a uniform grid with the endpoints
CHECK_POINTS = 4001        # uniform grid on which the existing and regenerated fits are compared


def relpath(p: str) -> str:
    return os.path.relpath(p, ROOT)


def gen_json(check: bool) -> bool:
    text = reference.build()
    old = open(JSON_PATH).read() if os.path.exists(JSON_PATH) else None
    same = text == old
    n = len(reference.inputs())
    off = reference.rounding_report()
    note = (f'; {len(off)} value(s) 1 ULP off correct rounding, rounded through float64 as the file '
            f'always was: {"; ".join(off)}' if off else '')
    if check:
        print(f'{relpath(JSON_PATH)}: {"unchanged" if same else "WOULD CHANGE"} ({n} inputs{note})')
    else:
        if not same:
            with open(JSON_PATH, 'w') as f:
                f.write(text)
        print(f'{relpath(JSON_PATH)}: {"unchanged" if same else "written"} ({n} inputs{note})')
    return same


def existing_lines() -> dict:
    out = {}
    with open(WGSL_PATH) as f:
        for line in f:
            p = polys.parse_line(line)
            if p:
                out[p[0]] = p[1]
    return out


def fit_all(names: list) -> list:
    """[(spec, existing coefficients or None, regenerated, errors)]"""
    current = existing_lines()
    for name in sorted(set(current) - set(polys.BY_NAME)):
        print(f'  m_poly_{name}: in math.wgsl but has no spec here (left alone)')
    rows = []
    for name in names:
        spec = polys.BY_NAME[name]
        t0 = time.time()
        a = polys.sample(spec, FIT_NODES[0], True)
        b = polys.sample(spec, FIT_NODES[1], False)
        nodes = polys.Samples(np.concatenate([a.t, b.t]), np.concatenate([a.g, b.g]), np.concatenate([a.s, b.s]))
        grid = polys.sample(spec, CHECK_POINTS, False)
        new = polys.fit(spec, nodes)
        old = current.get(name)
        err = {'new': polys.max_err(new, grid), 'new32': polys.max_err(new, grid, polys.horner32)}
        if old is not None and len(old) == len(new):
            err['old'] = polys.max_err(old, grid)
            err['old32'] = polys.max_err(old, grid, polys.horner32)
        rows.append((spec, old, new, err))
        print_row(spec, old, err, time.time() - t0)
    return rows


def fmt(v) -> str:
    return f'{v:9.3e}' if v is not None else '        -'


def print_header() -> None:
    print('max |error| relative to what the caller returns; exact evaluation (the fit) and float32 Horner (as on lavapipe)')
    print(f'  {"polynomial":13s} {"deg":>3s}  {"t interval":22s} {"existing":>9s} {"regen.":>9s}  '
          f'{"f32 exist":>9s} {"f32 regen":>9s}  verdict')


SAME = 0.005   # fits within 0.5% of each other are reported as the same


def verdict(old, err) -> str:
    if old is None:
        return 'not in math.wgsl'
    if 'old' not in err:
        return 'degree differs from math.wgsl'
    r = err['new'] / err['old']
    if abs(r - 1) <= SAME:
        return f'same ({"no worse" if r <= 1 else "worse"} by {abs(r - 1) * 100:.2f}%)'
    return f'regenerated smaller (x{r:.2f})' if r < 1 else f'EXISTING SMALLER (x{r:.2f})'


def print_row(spec, old, err, secs) -> None:
    iv = f'[{spec.lo:.4g}, {spec.hi:.4g}]'
    print(f'  {spec.name:13s} {spec.degree:3d}  {iv:22s} {fmt(err.get("old"))} {fmt(err["new"])}  '
          f'{fmt(err.get("old32"))} {fmt(err["new32"])}  {verdict(old, err)}  ({secs:.1f} s)', flush=True)


def write_polys(rows: list) -> None:
    """Rewrites the m_poly_<name> lines whose regenerated fit is no worse; nothing else. The file
    is read right before it is written (others edit the rest of it)."""
    new_lines = {spec.name: polys.wgsl_line(spec.name, new) for spec, old, new, err in rows
                 if old is not None and 'old' in err and err['new'] <= err['old']}
    with open(WGSL_PATH) as f:
        lines = f.readlines()
    changed = []
    for i, line in enumerate(lines):
        for name, text in new_lines.items():
            if line.startswith(f'fn m_poly_{name}(') and line.rstrip('\n') != text:
                lines[i] = text + '\n'
                changed.append(name)
    if changed:
        with open(WGSL_PATH, 'w') as f:
            f.writelines(lines)
    kept = [spec.name for spec, old, new, err in rows if spec.name not in new_lines]
    print(f'{relpath(WGSL_PATH)}: rewrote {len(changed)} line(s){": " + ", ".join(changed) if changed else ""}; '
          f'kept the existing line for {len(kept)}{": " + ", ".join(kept) if kept else ""}')


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--check', action='store_true')
    ap.add_argument('--write-polys', action='store_true')
    ap.add_argument('--poly', action='append', default=[])
    ap.add_argument('--no-polys', action='store_true')
    ap.add_argument('--list', action='store_true')
    args = ap.parse_args()
    if args.check and args.write_polys:
        ap.error('--check writes nothing; drop --write-polys')
    if args.list:
        for s in polys.SPECS:
            print(f'm_poly_{s.name}: degree {s.degree}, t in [{s.lo:.6g}, {s.hi:.6g}]: {s.what}')
        return 0
    unknown = [n for n in args.poly if n not in polys.BY_NAME]
    if unknown:
        ap.error(f'no spec for {", ".join(unknown)} (see --list)')

    same = gen_json(args.check)
    if not args.no_polys:
        print_header()
        rows = fit_all(args.poly or [s.name for s in polys.SPECS])
        if args.write_polys:
            write_polys(rows)
        elif not args.check:
            print(f'{relpath(WGSL_PATH)}: not written (`npm run gen -- --write-polys` rewrites the lines whose '
                  'regenerated fit is no worse)')
    return 0 if same or not args.check else 1


if __name__ == '__main__':
    sys.exit(main())
