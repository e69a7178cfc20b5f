# Sourced by the scripts that start the assistant (supervise.sh, shell.sh):
# owner-only files (umask 077) in a private $MEDSPA_VAR_DIR (var/ by default),
# files made before tightened too (conversations are health data), and the
# shared secrets generated once, before the programs that share them start.
umask 077
export RASA_TELEMETRY_ENABLED=false
export MEDSPA_VAR_DIR=${MEDSPA_VAR_DIR:-$PWD/var}
mkdir -p "$MEDSPA_VAR_DIR/log"
chmod 700 "$MEDSPA_VAR_DIR" "$MEDSPA_VAR_DIR/log"
find "$MEDSPA_VAR_DIR" -type f -exec chmod go= {} +
.venv/bin/python -c 'from medspa.settings import action_secret, auth_token
auth_token(); action_secret()'
