# Prints what zsh offers on Tab for a command line, one match a line: an
# interactive zsh in a pseudo-terminal (zpty) whose compadd also prints its matches.
# Usage: zsh -f zsh-complete.zsh COMPLETION_DIR "jinx ru"
zmodload zsh/zpty
dir=$1 line=$2
zpty z zsh -f -i
zpty -w z "PS1='' PROMPT='' RPROMPT=''; fpath=($dir \$fpath); autoload -U compinit; compinit -u -D"
# Print every match offered instead of inserting one.
zpty -w z 'compadd() { local -a __m; builtin compadd -O __m "$@"; print -rl -- "<m>"${^__m}; builtin compadd "$@" }'
zpty -w z "zstyle ':completion:*' list-prompt ''; zstyle ':completion:*' menu no; setopt nolistbeep; bindkey '^I' complete-word"
zpty -w z "print -r -- '<ready>'"
zpty -r z out '*<ready>*'
zpty -w -n z "$line"$'\t'
zpty -w z $'\x15print -r -- "<end>"'
zpty -r z out '*<end>*'
print -r -- "$out" | tr -d '\r' | grep -o '<m>.*' | sed 's/^<m>//' | sort -u
zpty -d z
