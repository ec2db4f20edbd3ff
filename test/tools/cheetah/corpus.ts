/**
 * Differential corpus: each case is rendered by Nebula's engine and by Cheetah 3 (oracle.py).
 * Namespaces are JSON; `{"__obj__": {...}, "__str__": "..."}` stands for an object with attributes.
 * `error: true` cases must fail in both engines.
 */
export interface CorpusCase {
  name: string;
  template: string;
  ns?: Record<string, unknown>;
  error?: boolean;
}

const input1 = { __obj__: { ext: 'fastqsanger', name: 'reads.fq', metadata: { __obj__: { columns: 5 }, __str__: 'md' } }, __str__: '/data/1.dat' };

export const CORPUS: CorpusCase[] = [
  // ---- placeholders
  { name: 'simple placeholder', template: 'cat $input > $out', ns: { input: 'a.txt', out: 'b.txt' } },
  { name: 'braced placeholder', template: '${x}y ${ x }', ns: { x: 'X' } },
  { name: 'none renders empty', template: '[$x][${x}]', ns: { x: null } },
  { name: 'dotted dict keys', template: '$p.a.b $p.c', ns: { p: { a: { b: 'deep' }, c: 3 } } },
  { name: 'object attributes', template: '$input1 $input1.ext $input1.name $input1.metadata.columns', ns: { input1 } },
  { name: 'trailing dot stays text', template: '$out. and $out.', ns: { out: 'o' } },
  { name: 'dollar followed by digit', template: "awk '{print $1, $NF}' \\$2 $ $$", ns: { NF: 'nf' } },
  { name: 'escaped dollar', template: '\\${GALAXY_SLOTS:-4} \\$HOME', ns: {} },
  { name: 'index and key', template: "$l[0] $l[-1] $d['k'] $d[\"k\"]", ns: { l: [1, 2, 3], d: { k: 'v' } } },
  { name: 'method calls', template: "$s.upper() $s.replace('a', 'b') ${s.split(',')}", ns: { s: 'a,b,a' } },
  { name: 'expression in braces', template: '${n + 1} ${n * 2 - 1} ${len($l)}x', ns: { n: 5, l: [1] } },
  { name: 'adjacent placeholders', template: '$a$b ${a}.txt $a-$b $a/$b', ns: { a: 'A', b: 'B' } },
  { name: 'dict placeholder chain method', template: "$d.k.upper() ${d.k.lower()}", ns: { d: { k: 'Vv' } } },
  { name: 'string methods autocalled', template: '$s.upper|$s.strip', ns: { s: ' ab ' } },
  { name: 'not found name', template: 'x $nope y', error: true },
  { name: 'not found attribute', template: '$d.missing', ns: { d: { k: 1 } }, error: true },
  { name: 'parenthesised placeholder', template: '$(n) $[n]', ns: { n: 7 } },
  { name: 'hash not directive', template: '#!/bin/bash\n# comment #x\na#b\n#notadirective\n', ns: {} },
  // ---- if
  { name: 'if else', template: '#if $x == 1\none\n#else\nother\n#end if\n', ns: { x: 1 } },
  { name: 'if elif else', template: '#if $x > 5\nbig\n#elif $x > 2\nmid\n#else\nsmall\n#end if\n', ns: { x: 3 } },
  { name: 'else if', template: '#if $x\nA\n#else if $y\nB\n#end if\n', ns: { x: 0, y: 1 } },
  { name: 'indented directives', template: 'cmd\n    #if $f\n    --flag\n    #end if\n    --end\n', ns: { f: true } },
  { name: 'inline if closed by hash', template: 'a #if $n == 5# yes #else# no #end if# b\nc', ns: { n: 5 } },
  { name: 'inline if false', template: 'a #if $n == 5#yes#else#no#end if#\nc', ns: { n: 4 } },
  { name: 'directive mid line keeps newline', template: 'x #if $n\nA\n#end if\nB', ns: { n: 1 } },
  { name: 'string none comparison', template: "#if str($x) == 'None'\nnone\n#end if\n#if $y is None\nnull\n#end if\n", ns: { x: null, y: null } },
  { name: 'in and not in', template: "#if 'b' in $l and 'z' not in $l\nyes\n#end if\n#if 'k' in $d\nkey\n#end if\n", ns: { l: ['a', 'b'], d: { k: 1 } } },
  { name: 'and or not values', template: "${a or 'dflt'} ${b and 'x'} #echo not $a# ${0 or ''}|", ns: { a: '', b: 'B' } },
  { name: 'chained comparison', template: '${1 < $x < 10} ${1 < $x > 10} ${x == 5 == True}', ns: { x: 5 } },
  { name: 'colon single line', template: '#if $n: yes\nafter\n#for i in $l: [$i]\nend', ns: { n: 1, l: [1, 2] } },
  { name: 'line continuation', template: '#if $n > 3 and \\\n  $n < 9\nmid\n#end if\n', ns: { n: 5 } },
  { name: 'multi line set', template: '#set a = [1,\n  2,\n  3]\n$a\n', ns: {} },
  // ---- for / while
  { name: 'for loop', template: '#for $i in $l\nitem $i\n#end for\n', ns: { l: ['a', 'b'] } },
  { name: 'for enumerate', template: '#for i, v in enumerate($l)\n$i=$v\n#end for\n', ns: { l: ['x', 'y'] } },
  { name: 'for inline hash', template: '#for $q in $queries# ${q.input2} #end for#\nZ', ns: { queries: [{ input2: 'f1' }, { input2: 'f2' }] } },
  { name: 'for over dict items', template: '#for k, v in sorted($d.items())\n$k:$v\n#end for\n', ns: { d: { b: 2, a: 1 } } },
  { name: 'break continue', template: '#for i in range(6)\n#if i == 1\n#continue\n#end if\n#if i == 4\n#break\n#end if\n$i\n#end for\n', ns: {} },
  { name: 'while loop', template: '#set n = 3\n#while n > 0\n$n\n#set n = n - 1\n#end while\n', ns: {} },
  { name: 'nested loops', template: '#for a in [1, 2]\n#for b in "xy"\n$a$b #slurp\n#end for\n#end for\n', ns: {} },
  { name: 'for zip', template: '#for a, b in zip($x, $y)\n$a-$b\n#end for\n', ns: { x: [1, 2, 3], y: ['a', 'b'] } },
  // ---- set
  { name: 'set local', template: '#set $a = 3\n#set b = a * 2\n$a $b\n', ns: {} },
  { name: 'set tuple unpack', template: '#set a, b = 1, 2\n$a$b\n', ns: {} },
  { name: 'set augmented', template: '#set a = 1\n#set a += 4\n#set l = [1]\n#set l += [2]\n$a $l\n', ns: {} },
  { name: 'set item', template: "#set d = {}\n#set d['k'] = 5\n#set l = [0, 0]\n#set l[1] = 9\n$d $l\n", ns: {} },
  { name: 'set global and def', template: '#set global g = 1\n#def q\ng=$g\n#end def\n$q', ns: {} },
  { name: 'set from namespace with autocall', template: '#set y = $d.f\n$y\n', ns: { d: { f: 'F' } } },
  { name: 'bare name not in namespace', template: '#if x == 1\nA\n#end if\n', ns: { x: 1 }, error: true },
  { name: 'set ternary', template: "#set v = 'yes' if $n > 3 else 'no'\n$v\n", ns: { n: 4 } },
  // ---- comments, slurp, raw, echo, silent, stop
  { name: 'line comments', template: '## comment\nX ## tail\n  ## indented\nZ', ns: {} },
  { name: 'block comments', template: 'A #* c *#\n#* whole\nline *#\nB #*x*#C', ns: {} },
  { name: 'slurp', template: 'abc #slurp\ndef\n$n#slurp\nA', ns: { n: 5 } },
  { name: 'raw', template: '#raw\n$x #if ${y}\n#end raw\nQ', ns: {} },
  { name: 'echo', template: '#echo 1/2\n#echo "x" if $n else "" #\n#echo 7//2, 2**10\n', ns: { n: 1 } },
  { name: 'echo none', template: '[#echo None#]', ns: {} },
  { name: 'silent', template: '#set l = []\n#silent l.append(3)\n$l\n', ns: {} },
  { name: 'stop', template: 'a\n#stop\nb\n', ns: {} },
  { name: 'pass', template: '#if 1\n#pass\n#end if\nx', ns: {} },
  // ---- def / return
  { name: 'def with args', template: '#def foo(a, b=2)\n[$a $b]\n#end def\n$foo(1) $foo(1, b=3)', ns: {} },
  { name: 'def no args autocall', template: '#def bar\nBAR\n#end def\n$bar|$bar()', ns: {} },
  { name: 'def return', template: '#def f(x)\n#return x * 2\n#end def\n$f(3) ${f(4)}', ns: {} },
  { name: 'def inline', template: '#def h(x)#[$x]#end def#\n$h(1)', ns: {} },
  { name: 'def slurp', template: '#def g\nhello $s#slurp\n#end def\n[$g]', ns: { s: 'S' } },
  // ---- try
  { name: 'try except', template: '#try\n$nope\n#except\nE\n#end try\n', ns: {} },
  { name: 'try except type', template: "#try\n#set x = int('a')\n#except ValueError\nbad\n#end try\n", ns: {} },
  { name: 'try finally', template: '#try\nok\n#finally\nF\n#end try\n', ns: {} },
  // ---- imports and modules
  { name: 'import re', template: "#import re\n$re.sub('a+', 'b', 'caaat') ${re.match('c', 'cat') is not None} ${re.search('(?P<x>a)t', 'cat').group('x')}", ns: {} },
  { name: 're findall split', template: "#import re\n${re.findall(r'\\d+', 'a1b22c333')} ${re.split(r'[,;]', 'a,b;c')} ${re.findall(r'(\\w)(\\d)', 'a1 b2')}", ns: {} },
  { name: 're groups sub backref', template: "#import re\n#set m = re.match(r'(\\w+)_(\\d+)', 'sample_12.fq')\n${m.groups()} ${m.group(2)} ${re.sub(r'(\\w)(\\d)', r'\\2\\1', 'a1b2')}", ns: {} },
  { name: 're compile ignorecase', template: "#import re\n#set p = re.compile('abc', re.IGNORECASE)\n${bool(p.search('xABCx'))} ${re.escape('a.b*c')}", ns: {} },
  { name: 'from os.path import', template: "#from os.path import basename, splitext\n$basename('/a/b.c') ${splitext('x.tar.gz')} ${splitext('.bashrc')}", ns: {} },
  { name: 'import os', template: "#import os\n${os.path.join('a', 'b', '/c', 'd')} ${os.path.dirname('/x/y/z')} ${os.sep}", ns: {} },
  { name: 'json', template: "#import json\n${json.dumps({'a': [1, 2.5, None, True], 'b': 'x'})} ${json.loads('{\"k\": [1, 2]}')['k']}", ns: {} },
  { name: 'shlex', template: "#import shlex\n${shlex.quote('a b')} ${shlex.quote('ab')} ${shlex.quote(\"it's\")} ${shlex.split('a \"b c\" d')}", ns: {} },
  // ---- Python expressions
  { name: 'arithmetic', template: '${7 / 2} ${7 // 2} ${-7 // 2} ${7 % 3} ${-7 % 3} ${2 ** 10} ${2 ** -1} ${1.5 * 2} ${10 / 5}', ns: {} },
  { name: 'str repr numbers', template: '${str(1.0)} ${str(2)} ${1e20} ${1.0/3} ${float("3")} ${int("42")} ${int(3.9)} ${0.1 + 0.2} ${1e-5}', ns: {} },
  { name: 'reprs', template: "${[1, 'a', None, True, 1.5, (1,), (), {'k': 1}]} ${str(True)} ${repr('it\\'s')} ${set()}", ns: {} },
  { name: 'string ops', template: "${'ab' * 3} ${'a' + 'b'} ${[1] + [2]} ${'x,y,,z'.split(',')} ${'  a b  '.split()} ${'a b c'.split(None, 1)}", ns: {} },
  { name: 'string methods', template: "${'abc'.startswith(('x', 'a'))} ${'abc'.endswith('c')} ${'Hello World'.lower()} ${'hello world'.title()} ${'abc'.find('c')} ${'xxabcxx'.strip('x')} ${'7'.zfill(3)} ${'a'.ljust(3, '-')}|${'a'.rjust(3)}", ns: {} },
  { name: 'string methods 2', template: "${'a,b'.partition(',')} ${'a\\nb\\n'.splitlines()} ${'abcabc'.count('b')} ${'abc'.index('b')} ${'12'.isdigit()} ${'ab1'.isalnum()} ${'hello'.capitalize()} ${'a.b.c'.rsplit('.', 1)} ${'x'.center(5, '*')}", ns: {} },
  { name: 'format method', template: "${'{} and {}'.format('a', 'b')} ${'{0}{1}{0}'.format('x', 'y')} ${'{name}!'.format(name='n')} ${'{:.2f}'.format(3.14159)} ${'{:>5}|{:<5}|{:^5}'.format('a', 'b', 'c')} ${'{:05d}'.format(42)}", ns: {} },
  { name: 'percent format', template: "${'%s-%05.2f-%d' % ('a', 3.14159, 4.9)} ${'%i%%' % 50} ${'%-4s|' % 'ab'} ${'%x %e %g' % (255, 12345.678, 0.0001)} ${'%(a)s' % {'a': 1}}", ns: {} },
  { name: 'slices', template: "${l[1:]} ${l[:-1]} ${l[::-1]} ${l[::2]} ${'abcdef'[1:4]} ${'abcdef'[-2:]} ${l[5:]}", ns: { l: [1, 2, 3, 4] } },
  { name: 'comprehensions', template: "${[x * 2 for x in $l if x > 1]} ${dict((k, 1) for k in 'ab')} ${{x: x * x for x in $l}} ${[a + b for a in 'xy' for b in '12']} ${sum(x for x in $l)}", ns: { l: [1, 2, 3] } },
  { name: 'lambda sorted map filter', template: "${sorted($l, key=lambda x: -x)} ${list(map(str, $l))} ${list(filter(lambda x: x % 2, $l))} ${sorted(['b', 'A', 'c'], reverse=True)}", ns: { l: [3, 1, 2] } },
  { name: 'builtins', template: "${len('abc')} ${min(3, 1, 2)} ${max([1, 5])} ${abs(-2)} ${round(2.5)} ${round(3.14159, 2)} ${list(range(2, 10, 3))} ${any([0, 1])} ${all([])} ${chr(65)}${ord('a')}", ns: {} },
  { name: 'builtins 2', template: "${isinstance('a', str)} ${isinstance(1, (float, int))} ${bool('')} ${tuple([1, 2])} ${list(reversed([1, 2]))} ${hasattr('a', 'upper')} ${getattr('a', 'nope', 'dflt')}", ns: {} },
  { name: 'dict methods', template: "#set d = {'a': 1}\n${d.get('a')} ${d.get('z', 0)} ${d.get('z')} ${list(d.keys())} ${list(d.values())} ${d.setdefault('b', 2)} ${d.pop('a')} $d", ns: {} },
  { name: 'list methods', template: "#set l = [3, 1]\n#silent l.append(2)\n#silent l.extend([5])\n#silent l.insert(0, 9)\n#silent l.sort()\n$l ${l.pop()} ${l.index(3)} ${l.count(1)} #slurp\n#silent l.reverse()\n#silent l.remove(1)\n$l", ns: {} },
  { name: 'join over namespace list', template: "${','.join($files)} ${' '.join([str(x) for x in $nums])}", ns: { files: ['a', 'b'], nums: [1, 2] } },
  { name: 'string escapes', template: "${'a\\tb'} ${len('\\n')} #echo r'\\d'# ${'''tri\"ple'''} ${\"dq\"}", ns: {} },
  { name: 'conditional expression', template: "#echo 'even' if $n % 2 == 0 else 'odd'\n", ns: { n: 3 } },
  { name: 'unary and power', template: '#echo -$x, +$x, -2 ** 2, not 0\n', ns: { x: 3 } },
  { name: 'dict str repr', template: '$d ${str($d)}', ns: { d: { b: [1, 'x'], a: null } } },
  { name: 'galaxy like command', template: "bwa mem -t \\${GALAXY_SLOTS:-1}\n#if $paired.type == 'paired':\n  '$paired.fwd' '$paired.rev'\n#else:\n  '$paired.single'\n#end if\n  > '$output'", ns: { paired: { type: 'paired', fwd: 'f.fq', rev: 'r.fq' }, output: 'out.sam' } },
  { name: 'repeat like', template: "#for $i, $q in enumerate($queries)\n  --in${i} '$q.input'\n#end for\n", ns: { queries: [{ input: 'a' }, { input: 'b' }] } },
  { name: 'unbalanced end', template: '#end if\n', error: true },
  { name: 'missing end', template: '#if 1\nA\n', error: true },
  { name: 'zero division', template: '${1 / 0}', error: true },
];
