# Prints what zsh offers on Tab for a command line, one match a line: an
# interactive zsh in a pseudo-terminal (zpty) whose compadd also prints its matches.
# Usage: zsh -f zsh-complete.zsh COMPLETION_DIR "jinx ru"
zmodload zsh/zpty
dir=$1 line=$2
zpty z zsh -f -i
zpty -w z "PS1='' PROMPT='' RPROMPT=''; fpath=($dir \$fpath); autoload -U compinit; compinit -u -D"
# Print every match offered instead of inserting one.
zpty -w z 'compadd() { local -a __m; builtin compadd -O __m "$@"; print -rl -- "<m>"${^__m}; builtin compadd "$@" }'
# ^U clears the line in zle; if it arrives while the terminal is still in
# cooked mode, the kernel must not take it as its own line-kill character.
zpty -w z "stty kill undef; zstyle ':completion:*' list-prompt ''; zstyle ':completion:*' menu no; setopt nolistbeep; bindkey '^I' complete-word"
# The markers are printed from split strings: the terminal echoes typed input
# (at once, while zsh is still busy with an earlier line), and an echo that
# matched the pattern let the test type on before zsh was ready, and lose it.
zpty -w z "print -r -- '<rea''dy>'"
zpty -r z out '*<ready>*'
zpty -w -n z "$line"$'\t'
zpty -w z $'\x15print -r -- "<e""nd>"'
zpty -r z out '*<end>*'
print -r -- "$out" | tr -d '\r' | grep -o '<m>.*' | sed 's/^<m>//' | sort -u
zpty -d z
