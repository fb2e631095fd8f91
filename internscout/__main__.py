from internscout.cli import app

app(prog_name="internscout")
