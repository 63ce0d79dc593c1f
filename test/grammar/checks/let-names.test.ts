import { test } from 'uvu';
import { letNames } from '../../../grammar/checks/let-names.ts';
import { checkTable } from './check-table.ts';

checkTable(letNames, [
  ['names defined above are fine', 'let a = 0:2\nlet b = 5:7\nx[a] <- [b]', []],
  ['an undefined name with a suggestion', 'let cams = 0:2\nx[cam] <- [0:2]', ['2:3 remap/undefined-name: "cam" is not defined by a \'let\' above. Did you mean "cams"?']],
  ['a name used before its let', 'x[a] <- [0:2]\nlet a = 0:2', ["1:3 remap/undefined-name: \"a\" is not defined by a 'let' above."]],
  ['a name defined twice', 'let a = 0:2\nlet a = 0:3', ["2:5 remap/duplicate-let: \"a\" is already defined by a 'let' above"]],
]);

test.run();
