// A hand-written CloudFormation template (infra/deploy-role.yml) as CloudFormation would
// create it for given parameters: parameters checked against their AllowedPattern, conditions
// evaluated, resources and outputs of false conditions left out, intrinsic functions resolved
// with a fake account's values. The packaged serverless template has its own resolver
// (cli/local/template-resolver.ts); this one knows parameters and conditions.
import { type CloudFormationTemplate, FAKE_ACCOUNT } from '../support/packaged.ts';

export interface RenderOptions {
  /** Parameter values; the others take their Default. */
  parameters?: Record<string, string>;
  /** The stack's name (AWS::StackName, and the ARN of AWS::StackId). */
  stackName: string;
}

interface Parameter {
  Type: string;
  Default?: string;
  AllowedPattern?: string;
}

const NO_VALUE = Symbol('AWS::NoValue');

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function stackIdOf(stackName: string): string {
  return `arn:${FAKE_ACCOUNT.partition}:cloudformation:${FAKE_ACCOUNT.region}:${FAKE_ACCOUNT.accountId}:stack/${stackName}/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d`;
}

/** @throws Error naming a parameter that is missing, unknown or refused by its AllowedPattern. */
export function render(
  template: CloudFormationTemplate,
  options: RenderOptions,
): CloudFormationTemplate {
  const declared = (template.Parameters ?? {}) as Record<string, Parameter>;
  const given = options.parameters ?? {};
  for (const name of Object.keys(given)) {
    if (!(name in declared)) throw new Error(`the template has no parameter ${name}`);
  }
  const parameters: Record<string, string> = {};
  for (const [name, parameter] of Object.entries(declared)) {
    const value = given[name] ?? parameter.Default;
    if (value === undefined) throw new Error(`parameter ${name} is required`);
    if (
      parameter.AllowedPattern !== undefined &&
      !new RegExp(parameter.AllowedPattern).test(value)
    ) {
      throw new Error(
        `parameter ${name}: ${JSON.stringify(value)} does not match its AllowedPattern`,
      );
    }
    parameters[name] = value;
  }

  const pseudo: Record<string, string> = {
    'AWS::Region': FAKE_ACCOUNT.region,
    'AWS::AccountId': FAKE_ACCOUNT.accountId,
    'AWS::Partition': FAKE_ACCOUNT.partition,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': options.stackName,
    'AWS::StackId': stackIdOf(options.stackName),
  };
  const conditionDefinitions = (template.Conditions ?? {}) as Record<string, unknown>;
  const conditions = new Map<string, boolean>();

  const condition = (name: string): boolean => {
    const known = conditions.get(name);
    if (known !== undefined) return known;
    if (!(name in conditionDefinitions)) throw new Error(`no condition ${name}`);
    const value = evaluate(conditionDefinitions[name]);
    conditions.set(name, value);
    return value;
  };

  const evaluate = (expression: unknown): boolean => {
    if (!isObject(expression)) throw new Error(`not a condition: ${JSON.stringify(expression)}`);
    const [[key, argument]] = Object.entries(expression) as [[string, unknown]];
    const items = argument as unknown[];
    switch (key) {
      case 'Fn::Equals':
        return String(resolve(items[0])) === String(resolve(items[1]));
      case 'Fn::Not':
        return !evaluate(items[0]);
      case 'Fn::And':
        return items.every(evaluate);
      case 'Fn::Or':
        return items.some(evaluate);
      case 'Condition':
        return condition(String(argument));
      default:
        throw new Error(`cannot evaluate ${key}`);
    }
  };

  const physicalName = (logicalId: string): string => {
    const resource = template.Resources[logicalId];
    if (resource === undefined) throw new Error(`no resource ${logicalId}`);
    const named = resource.Properties?.RoleName;
    return named === undefined
      ? `${options.stackName}-${logicalId}-FAKE0123`
      : String(resolve(named));
  };

  const ref = (name: string): unknown => {
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (name in pseudo) return pseudo[name];
    if (name in parameters) return parameters[name];
    const resource = template.Resources[name];
    if (resource === undefined) throw new Error(`Ref to nothing: ${name}`);
    if (resource.Type === 'AWS::IAM::OIDCProvider') {
      const host = String(resolve(resource.Properties?.Url)).replace(/^https:\/\//, '');
      return `arn:${FAKE_ACCOUNT.partition}:iam::${FAKE_ACCOUNT.accountId}:oidc-provider/${host}`;
    }
    return physicalName(name);
  };

  const getAtt = (logicalId: string, attribute: string): string => {
    const resource = template.Resources[logicalId];
    if (resource?.Type === 'AWS::IAM::Role' && attribute === 'Arn') {
      return `arn:${FAKE_ACCOUNT.partition}:iam::${FAKE_ACCOUNT.accountId}:role/${physicalName(logicalId)}`;
    }
    throw new Error(`the test cannot resolve Fn::GetAtt ${logicalId}.${attribute}`);
  };

  const sub = (text: string): string =>
    text.replace(/\$\{(!?)([^}]*)\}/g, (_match, literal: string, name: string) => {
      if (literal === '!') return `\${${name}}`;
      const dot = name.indexOf('.');
      return dot > 0 && !name.startsWith('AWS::')
        ? getAtt(name.slice(0, dot), name.slice(dot + 1))
        : String(ref(name));
    });

  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) {
      return value.map(resolve).filter((item) => item !== NO_VALUE);
    }
    if (!isObject(value)) return value;
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [[key, argument]] = entries as [[string, unknown]];
      if (key === 'Ref') return ref(String(argument));
      if (key === 'Fn::GetAtt') {
        const [logicalId, attribute] = argument as [string, string];
        return getAtt(logicalId, attribute);
      }
      if (key === 'Fn::Sub') {
        if (typeof argument !== 'string')
          throw new Error('the test resolves Fn::Sub of a string only');
        return sub(argument);
      }
      if (key === 'Fn::If') {
        const [name, whenTrue, whenFalse] = argument as [string, unknown, unknown];
        return resolve(condition(name) ? whenTrue : whenFalse);
      }
      if (key === 'Fn::Join') {
        const [separator, items] = argument as [string, unknown[]];
        return (resolve(items) as unknown[]).map(String).join(separator);
      }
      if (key.startsWith('Fn::')) throw new Error(`the test cannot resolve ${key}`);
    }
    const resolved: Record<string, unknown> = {};
    for (const [name, item] of entries) {
      const result = resolve(item);
      if (result !== NO_VALUE) resolved[name] = result;
    }
    return resolved;
  };

  const resources: CloudFormationTemplate['Resources'] = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Condition !== undefined && !condition(resource.Condition)) continue;
    const { Condition: _condition, ...rest } = resource;
    resources[logicalId] = resolve(rest) as CloudFormationTemplate['Resources'][string];
  }
  const outputs: NonNullable<CloudFormationTemplate['Outputs']> = {};
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    const { Condition: outputCondition, ...value } = output as { Condition?: string };
    if (outputCondition !== undefined && !condition(outputCondition)) continue;
    outputs[name] = resolve(value) as NonNullable<CloudFormationTemplate['Outputs']>[string];
  }
  return { ...template, Resources: resources, Outputs: outputs };
}
