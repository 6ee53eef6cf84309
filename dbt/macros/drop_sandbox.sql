{#
  For `serverless-dbt ci drop --pr N` (`dbt run-operation drop_sandbox` with PR_NUMBER=N):
  drops the schema that generate_schema_name gives this environment, with everything in it:
  <base>_pr_<N> with PR_NUMBER, else <base>_sandbox. Outside dev and live every model, seed
  and snapshot lands in that one schema, so nothing is left behind. A schema that does not
  exist (a pull request closed before any build) is no error. Refused with ENV=dev or live,
  whose schemas are the ones everybody reads, not a sandbox.
#}
{% macro drop_sandbox() -%}
    {%- set stage = env_var('ENV', '') -%}
    {%- if stage in ['dev', 'live'] -%}
        {{ exceptions.raise_compiler_error(
            "drop_sandbox: refused with ENV=" ~ stage ~ ": only a sandbox or a pull request's"
            ~ " schema is dropped, never a deployed stage's; unset ENV"
        ) }}
    {%- endif -%}
    {%- set schema_name = generate_schema_name(none, none) | trim -%}
    {%- do adapter.drop_schema(api.Relation.create(database=target.database, schema=schema_name)) -%}
    {{ log("dropped schema " ~ schema_name, info=true) }}
{%- endmacro %}
