runsc.log.{stamp}.state.txt
