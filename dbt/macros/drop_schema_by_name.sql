{#
  For `dbt run-operation drop_schema_by_name --args '{schema_name: ...}'`: drops a schema of the
  target's database and everything in it, e.g. a pull request's sandbox once it is closed.
  The name is required: without it the macro would have nothing safe to default to.
#}
{% macro drop_schema_by_name(schema_name=none) -%}
    {%- if not schema_name -%}
        {{ exceptions.raise_compiler_error("drop_schema_by_name: schema_name is required, e.g. --args '{schema_name: pr_42}'") }}
    {%- endif -%}
    {%- do adapter.drop_schema(api.Relation.create(database=target.database, schema=schema_name)) -%}
    {{ log("dropped schema " ~ schema_name, info=true) }}
{%- endmacro %}
